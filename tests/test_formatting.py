"""Numbers as text: the state of charge (soc_text)."""

from __future__ import annotations

import pytest

from swellfem.formatting import soc_text


@pytest.mark.parametrize("soc, text", [(0.4, "0.40"), (1.0, "1.00"), (1, "1.00"), (0.0, "0.00"), (0.25, "0.25"),
                                       (0.05, "0.05"), (0.005, "0.005"), (0.0025, "0.0025"), (0.125, "0.125"),
                                       (0.333, "0.333"), (1e-5, "1e-05")])
def test_soc_text(soc, text):
    assert soc_text(soc) == text


@pytest.mark.parametrize("soc", [0.005, 0.0025, 0.4, 1 / 3, 0.1 + 0.2, 0.999999, 1e-7])
def test_soc_text_reads_back_exactly(soc):
    """Never rounds: the text is the same number (two decimals hid 0.005 as "0.01")."""
    assert float(soc_text(soc)) == soc


def test_soc_text_keeps_existing_names():
    """Two-decimal names (``von_mises_soc0.40.png``) keep their form wherever two decimals are exact."""
    for k in range(101):
        soc = k / 100
        assert soc_text(soc) == f"{soc:.2f}"
