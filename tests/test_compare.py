"""`symkan compare` and the judge behind it, on tricky pairs (oracle: hand-derived levels)."""

import pytest
import sympy

from symkan.bench.metrics import judge
from symkan.cli import main
from symkan.errors import InputError
from symkan.formula import parse_formula

# (true, found, level): why each is that level is in the comment.
PAIRS = [
    # equal forms written differently → exact
    ("x*y", "y*x", "exact"),
    ("(x + y)**2", "x**2 + 2*x*y + y**2", "exact"),  # factored vs expanded
    ("1 + y", "sin(x)**2 + cos(x)**2 + y", "exact"),  # trig identity
    ("x*y", "exp(log(x) + log(y))", "exact"),  # exp/log rules (x, y > 0 on the box)
    ("log(x) + log(y)", "log(x*y)", "exact"),
    ("x*y", "sqrt(x**2)*y", "exact"),  # |x| = x on the positive box
    ("sin(x)/cos(x)", "tan(x)", "exact"),
    ("1 + y", "cosh(x)**2 - sinh(x)**2 + y", "exact"),
    # constants off only by rounding → exact (≥ 4 significant digits written)
    ("pi*x", "3.14159*x", "exact"),
    ("x*y/3", "0.3333*x*y", "exact"),
    ("x/(2*pi)", "x/6.28319", "exact"),  # a rounded constant in a denominator
    ("exp(-x**2/2)/sqrt(2*pi)", "0.398942*exp(-0.5*x**2)", "exact"),
    ("x*y/2", "0.5*x*y", "exact"),
    # the default box [1, 5] leaves the domain (v > c): equal wherever both are defined
    ("1/sqrt(1 - x**2/y**2)", "y/sqrt(y**2 - x**2)", "exact"),
    # offset-only and scale-only differences → symbolic (SRBench symbolic solution)
    ("x*y", "x*y + 1", "symbolic"),
    ("x*y", "3*x*y", "symbolic"),
    ("pi*x", "3.14*x", "symbolic"),  # 3 digits: a scale, not a rounding of pi
    ("sin(x) + y", "sin(x) + y - 2.5", "symbolic"),
    # equal on the domain, but sympy cannot show it → numeric
    ("pi/2 + 0*x", "atan(x) + atan(1/x)", "numeric"),  # true for x > 0 only
    ("x - 0.5", "Abs(x - 0.5)", "numeric"),  # true for x > 0.5 only
    ("x*y", "x*y + 1e-9*x", "symbolic"),  # SRBench zeroes constants below 1e-4
    ("x*y", "x*y + 1e-3*x", "different"),  # ... but not a real extra term
    ("x*y", "1.0000000667*x*y + 2.7e-6", "symbolic"),  # an Operon-style near-exact fit
    # truly different laws
    ("x*y", "x + y", "different"),
    ("x", "sin(x)", "different"),
    ("x*y", "x**2/y", "different"),
    ("x", "0*x", "different"),  # a zero ratio is not a scale
    ("x*y", "3*x*y + 2", "different"),  # scale and offset together
]


@pytest.mark.parametrize("true, found, level", PAIRS)
def test_judge_levels(true, found, level):
    x, y = sympy.symbols("x y", real=True)
    j = judge(parse_formula(found, "xy"), parse_formula(true, "xy"), [x, y], [1, 1], [5, 5],
              explain=True)
    assert j.level == level, j.reason
    assert j.match == (level in ("exact", "symbolic"))
    if level == "exact":
        assert j.difference == 0


@pytest.mark.parametrize("true, found, level", PAIRS[::3])
def test_cli_levels_and_exit_status(true, found, level, capsys):
    rc = main(["compare", true, found])
    out = capsys.readouterr().out
    assert out.splitlines()[0] == f"level: {level}"
    assert "found - true = " in out
    assert rc == (0 if level in ("exact", "symbolic") else 1)


def test_cli_shows_difference_and_ratio(capsys):
    assert main(["compare", "x*y", "3*x*y"]) == 0
    out = capsys.readouterr().out
    assert "found - true = 2*x*y" in out and "found / true = 3" in out
    assert main(["compare", "x*y", "x + y"]) == 1
    assert "found - true = -x*y + x + y" in capsys.readouterr().out


def test_problem_name_gives_formula_and_box(capsys):
    assert main(["compare", "I.12.11", "q*Ef + B*q*v*sin(theta)"]) == 0
    out = capsys.readouterr().out
    assert "level: exact" in out and "box of feynman:I.12.11" in out
    assert main(["compare", "kan-paper:I.16.6", "(a + b)/(1 + a*b)"]) == 0


def test_domain_decides_numeric_vs_different(tmp_path, capsys):
    # |x - 3| = x - 3 only where x > 3: the domain of --data decides
    csv = tmp_path / "d.csv"
    csv.write_text("x,y\n" + "\n".join(f"{4 + i / 30},{i}" for i in range(30)) + "\n")
    assert main(["compare", "x - 3", "Abs(x - 3)", "--data", str(csv)]) == 1
    assert "level: numeric" in capsys.readouterr().out
    assert main(["compare", "x - 3", "Abs(x - 3)"]) == 1  # default box [1, 5]
    assert "level: different" in capsys.readouterr().out


def test_data_without_the_variable_is_an_input_error(tmp_path, capsys):
    csv = tmp_path / "d.csv"
    csv.write_text("a,b\n" + "\n".join(f"{i},{2 * i}" for i in range(30)) + "\n")
    assert main(["compare", "x*y", "y*x", "--data", str(csv)]) == 2
    assert "has no column for ['x', 'y']" in capsys.readouterr().err


CODE = [
    "__import__('os').system('touch pwned')",
    "x.__class__.__bases__",
    "(lambda: __import__('os').system('touch pwned'))()",
    "x[0]",
    "[c for c in ().__class__.__base__.__subclasses__()]",
    "exec('open(\"pwned\", \"w\")')",
    "open('pwned', 'w')",
    "x if y else 1",
    "9**9**9**9",  # not code, but would never finish
]


@pytest.mark.parametrize("text", CODE)
def test_code_carrying_strings_are_rejected(text, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["compare", "x*y", text]) == 2
    assert main(["compare", text, "x*y"]) == 2
    err = capsys.readouterr().err
    assert "symkan: error: " in err and ("formula" in err)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(InputError):
        parse_formula(text)


def test_compare_refuses_scipy_problems(capsys):
    assert main(["compare", "special:jv", "x"]) == 2
    assert "scipy.special" in capsys.readouterr().err
