import numpy as np

from ionscale.core.table import Estimate


def test_scalar_vector_and_matrix_estimates_print():
    assert str(Estimate(0.4567, 0.0123, "1", "fit-blocks(5)")) == "0.457 ± 0.012 1"
    assert str(Estimate.from_display(np.array([1.234, 0.5]), np.array([0.05, 0.021]), "1e-10 m^2/s", "")) == \
        "[1.234 ± 0.050, 0.500 ± 0.021] 1e-10 m^2/s"
    matrix = Estimate(np.array([[1.0, 2.0], [2.0, 3.0]]), np.full((2, 2), 0.1), "", "")
    assert str(matrix) == "[[1.00 ± 0.10, 2.00 ± 0.10],\n [2.00 ± 0.10, 3.00 ± 0.10]]"
