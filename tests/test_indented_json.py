"""The JSON and SARIF reports are written by `dumps_indented`: the same text as the standard library's
`json.dumps(value, indent=2, ensure_ascii=False)`, on real reports and on any JSON value."""

from __future__ import annotations

import json
from collections import OrderedDict
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from promptopt.reporters.indented_json import dumps_indented

_SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | st.text()
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4)
    | st.tuples(inner, inner),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None)
@given(_VALUES)
def test_any_json_value_is_written_as_the_standard_library_writes_it(value):
    assert dumps_indented(value) == json.dumps(value, indent=2, ensure_ascii=False)


def test_values_the_fast_path_does_not_know_fall_back_to_the_standard_library():
    for value in ({1: "a", None: [2.5]}, OrderedDict(b=1, a=[True]), [{"k": (1, {2: 3})}]):
        assert dumps_indented(value) == json.dumps(value, indent=2, ensure_ascii=False)


def test_the_json_report_of_real_prompts_is_the_standard_librarys_text(tmp_path):
    from promptopt.config import Config
    from promptopt.engine import audit_paths
    from promptopt.reporters import audit_options, render
    from promptopt.reporters.json import report_dict

    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "prompts"
    result = audit_paths([fixtures], Config(root=fixtures), jobs=1, keep_documents=False)
    options = audit_options("gpt-4o", "test")
    text = render("json", result, options)
    assert json.loads(text)["files"], "the fixtures hold prompts"
    assert text == json.dumps(report_dict(result, options), indent=2, ensure_ascii=False) + "\n"
