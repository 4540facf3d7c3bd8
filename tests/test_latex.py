"""Golden-string tests of symkan.export.latex."""

import pytest
import sympy

from symkan.errors import InputError
from symkan.export.latex import SymkanLatexPrinter, to_latex

x, y = sympy.symbols("x y", real=True)
theta = sympy.Symbol("theta", real=True)


@pytest.mark.parametrize(
    ("expr", "precision", "expected"),
    [
        (1.234567 * x**2, 4, "1.235 x^{2}"),
        (1.234567 * x**2, 2, "1.2 x^{2}"),
        (theta, 4, r"\theta"),
        (x / y, 4, r"\frac{x}{y}"),
        (0.5 * x - 2.0, 4, "0.5 x - 2.0"),
        (sympy.Float(12345.678) * x, 3, r"1.23 \cdot 10^{4} x"),
        (
            sympy.sqrt(2) * sympy.exp(-(theta**2) / 2) / (2 * sympy.sqrt(sympy.pi)),
            4,
            r"\frac{\sqrt{2} e^{- \frac{\theta^{2}}{2}}}{2 \sqrt{\pi}}",
        ),
        (sympy.Symbol("lambda") * sympy.Symbol("E_f"), 4, r"E_{f} \lambda"),
        (sympy.Rational(3, 2) * x, 4, r"\frac{3 x}{2}"),
    ],
)
def test_to_latex_golden(expr, precision, expected):
    assert to_latex(expr, precision) == expected


def test_printer_accepts_sympy_settings():
    printer = SymkanLatexPrinter({"mul_symbol": "dot"}, precision=3)
    assert printer.doprint(3.14159 * x) == r"3.14 \cdot x"


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_bad_precision_is_an_input_error(bad):
    with pytest.raises(InputError, match="precision="):
        to_latex(x, bad)


def test_multi_letter_names_are_one_italic_word():
    Ef, q, kb, omega0 = sympy.symbols("Ef q kb omega_0", real=True)
    assert to_latex(Ef * q) == r"\mathit{Ef} q"
    assert to_latex(kb / omega0) == r"\frac{\mathit{kb}}{\omega_{0}}"
