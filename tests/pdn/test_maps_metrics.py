"""Contest map I/O and metrics."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from eda.errors import DataError
from eda.pdn.maps import read_map, write_map
from eda.pdn.metrics import correlation, hotspot_confusion, hotspot_f1, mae, map_metrics, max_error, nmae


def test_roundtrip_gzip_and_trailing_comma(tmp_path):
    rng = np.random.default_rng(0)
    values = rng.uniform(1e-4, 5e-3, size=(7, 5))
    p = write_map(tmp_path / "m.csv.gz", values, trailing_comma=True)
    assert gzip.decompress(p.read_bytes()).decode().splitlines()[0].endswith(",")
    back = read_map(p)
    assert back.shape == (7, 5)
    # %5.3e keeps 4 significant digits: relative error below 5e-4
    np.testing.assert_allclose(back, values, rtol=5e-4)


def test_rows_index_x(tmp_path):
    (tmp_path / "m.csv").write_text("1,2,3,\n4,5,6,\n")
    m = read_map(tmp_path / "m.csv")
    assert m.shape == (2, 3)
    assert m[1, 0] == 4.0  # x = 1 µm, y = 0 µm


def test_ragged_row_names_line(tmp_path):
    (tmp_path / "bad.csv").write_text("1,2,3\n4,5\n")
    with pytest.raises(DataError, match=r"bad.csv:2"):
        read_map(tmp_path / "bad.csv")


def test_non_numeric_names_line(tmp_path):
    (tmp_path / "bad.csv").write_text("1,2\n3,x\n")
    with pytest.raises(DataError, match=r"bad.csv:2"):
        read_map(tmp_path / "bad.csv")


def test_truncated_gzip_map(tmp_path):
    data = gzip.compress(b"1,2\n3,4\n" * 1000)
    (tmp_path / "t.csv.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match="truncated or corrupt gzip"):
        read_map(tmp_path / "t.csv.gz")


def test_missing_map_suggests_gzip_sibling(tmp_path):
    write_map(tmp_path / "current_map.csv.gz", np.ones((2, 3)))
    with pytest.raises(DataError, match="does not exist") as exc:
        read_map(tmp_path / "current_map.csv")
    assert "current_map.csv.gz" in exc.value.hint
    with pytest.raises(DataError) as exc:
        read_map(tmp_path / "other.csv")
    assert exc.value.hint == "check the path"


def test_metrics_values():
    golden = np.array([[1.0, 10.0], [9.5, 2.0]])
    pred = np.array([[1.0, 9.0], [8.0, 2.0]])
    assert mae(pred, golden) == pytest.approx((0 + 1 + 1.5 + 0) / 4)
    assert max_error(pred, golden) == pytest.approx(1.5)
    assert nmae(pred, golden) == pytest.approx(0.625 / 10.0)
    # threshold 9.0 for both maps (strictly greater): golden hot {10, 9.5}, predicted hot {} (9.0 is not > 9.0)
    assert hotspot_confusion(pred, golden) == (0, 0, 2, 2)
    assert hotspot_f1(pred, golden) == 0.0
    pred2 = np.array([[1.0, 9.5], [8.0, 9.2]])
    # predicted hot {9.5 (TP), 9.2 (FP)}, golden hot {10, 9.5}: P = 1/2, R = 1/2
    assert hotspot_f1(pred2, golden) == pytest.approx(0.5)
    assert hotspot_f1(golden, golden) == 1.0
    assert correlation(golden, 2 * golden + 1) == pytest.approx(1.0)
    m = map_metrics(pred2, golden)
    assert set(m) == {"mae", "max_error", "nmae", "correlation", "f1"}


def test_metric_shape_mismatch():
    with pytest.raises(DataError, match="shapes differ"):
        mae(np.zeros((2, 2)), np.zeros((3, 2)))
