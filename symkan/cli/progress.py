"""Progress lines on stderr: rewritten in place on a terminal, one per event otherwise."""

from __future__ import annotations

import sys
import time


class Progress:
    """One status line on stderr, rewritten in place when stderr is a terminal."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.start = time.perf_counter()
        self.tty = sys.stderr.isatty()
        self.last = 0.0

    def line(self, text: str, *, final: bool = False) -> None:
        if self.quiet:
            return
        stamp = f"[{time.perf_counter() - self.start:6.1f}s] "
        if self.tty and not final:
            sys.stderr.write("\r\033[K" + stamp + text)
        else:
            sys.stderr.write(("\r\033[K" if self.tty else "") + stamp + text + "\n")
        sys.stderr.flush()

    def __call__(self, stage: str, info: dict) -> None:
        now = time.perf_counter()
        if stage == "train":
            if "step" not in info:
                self.line(f"training ({info.get('phase', '')})", final=True)
            elif now - self.last > (0.2 if self.tty else 10.0):
                self.last = now
                self.line(f"training ({info['phase']}): step {info['step'] + 1}, "
                          f"loss {info['loss']:.3e}")
        elif stage == "note":
            self.line(f"note: {info['text']}", final=True)
        elif stage == "prune":
            self.line(f"pruned to width {list(info['widths'])}", final=True)
        elif stage == "snap":
            self.line("snapping edges to symbolic primitives", final=True)
        elif stage == "separate":
            self.line(f"separability tests on the KAN surrogate (its relative error "
                      f"{info.get('surrogate_rel_rmse', float('nan')):.2g}): "
                      f"{len(info.get('trees', []))} candidate tree(s)", final=True)
        elif stage == "budget":
            self.line(f"time budget spent after {info['seconds']:.0f}s: skipping the "
                      "remaining candidates", final=True)
        elif stage == "stopped":
            self.line(f"search stopped after {info['seconds']:.0f}s: keeping the formulas "
                      "found so far", final=True)
        elif stage == "candidate":
            if "error" in info:
                self.line(f"candidate {info['method']}: failed ({info['error']})", final=True)
            else:
                self.line(f"candidate {info['method']}: {info['formula']}  "
                          f"(val rmse {info['val_rmse']:.3g})", final=True)
