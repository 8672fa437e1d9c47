"""Live-mode label check of the urb_percep codes the indicators sum (seeds/perception_question_blocks.csv)."""

from pipelines.sources.label_check import LabelMismatch, check_perception_labels

NUMERATORS = ["PS3290V", "PS3291V", "PS3300V", "PS3301V", "PS3514V", "PS3515V", "PS3519V", "PS3520V"]


def test_matching_labels_pass():
    labels = {code: f"Feel safe ... ({code})" for code in NUMERATORS}
    assert check_perception_labels(labels) == []


def test_changed_or_missing_labels_are_reported_each():
    labels = {code: "I feel safe" for code in NUMERATORS}
    labels["PS3514V"] = "Satisfied with public transport"
    del labels["PS3301V"]
    problems = check_perception_labels(labels)
    assert len(problems) == 2
    assert any("PS3514V" in p and "public transport" in p for p in problems)
    assert any("PS3301V is not in" in p for p in problems)
    assert "PS3514V" in str(LabelMismatch(problems))


def test_a_negative_answer_mapped_as_numerator_is_caught():
    labels = {code: "Feel safe: very safe" for code in NUMERATORS}
    labels["PS3515V"] = "Feel safe walking alone at night in the city: rather unsafe"
    problems = check_perception_labels(labels)
    assert len(problems) == 1 and "PS3515V" in problems[0] and "negative answer" in problems[0]
