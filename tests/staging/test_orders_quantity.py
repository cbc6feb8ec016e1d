"""Issue 18 (a): staged quantities are parsed once per distinct value; the result is the per-row rule's."""

from __future__ import annotations

import re

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from staging.orders import _whole_or

QTY = st.one_of(st.sampled_from(["1", "007", "0", "", "x", "1.0", " 2", "٣", "123456789012345678",
                                 "1234567890123456789"]),
                st.text(alphabet=st.sampled_from(list("0123456789 .-x")), max_size=20))


@settings(max_examples=100, deadline=None)
@given(st.lists(QTY, max_size=60), st.integers(min_value=0, max_value=3))
def test_whole_or_is_the_per_row_rule(values: list[str], default: int) -> None:
    got = _whole_or(pd.Series(values, dtype="str"), default)
    assert got.dtype == "int64"
    assert got.tolist() == [int(v) if re.fullmatch(r"[0-9]{1,18}", v) else default for v in values]
