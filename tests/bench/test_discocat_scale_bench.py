"""The DisCoCat scale benchmark measures what it prints (a small slice, both engines)."""

import math


def test_measure_reports_rates_steps_and_shapes():
    from qnlp.bench.discocat_scale_bench import measure

    row = measure("mc", "default", limit=24)
    assert row["sentences"] == 24 and 1 <= row["shapes"] <= 24
    assert row["einsums_shapes"] == row["shapes"]  # the old engine: one einsum per shape
    for key in ("parse_per_s", "circuits_per_s", "compile_per_s", "text_to_compiled_per_s"):
        assert math.isfinite(row[key]) and row[key] > 0
    assert row["text_to_compiled_per_s"] <= min(row["parse_per_s"], row["compile_per_s"])
    assert row["step_s_wavefront"] > 0 and row["step_speedup"] == row["step_s_shapes"] / row["step_s_wavefront"]
