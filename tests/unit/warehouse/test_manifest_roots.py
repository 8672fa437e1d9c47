"""The in-process dbt reads seeds through each node's root path: a parse recorded from the checkout with a relative
`--project-dir` must still give absolute roots, or `sps refresh` started from another folder fails on every seed."""

import os

from pipelines.settings import DBT_PROJECT_DIR
from pipelines.warehouse.dbt_inprocess import load_manifest


def test_every_node_of_the_loaded_manifest_is_rooted_at_the_absolute_project_folder():
    manifest = load_manifest()
    seeds = [node for node in manifest.nodes.values() if node.resource_type == "seed"]
    assert seeds, "the project has seeds"
    roots = {node.root_path for node in manifest.nodes.values() if getattr(node, "root_path", None)}
    assert all(os.path.isabs(root) for root in roots), roots
    assert roots == {str(DBT_PROJECT_DIR)}
