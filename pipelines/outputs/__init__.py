"""What SPS Monitor hands out, read from a published version only: exports (CSV, Parquet, SDMX-CSV, XLSX, Open SDG,
each with a metadata sidecar) and the city report (report/, the VLR annex)."""
