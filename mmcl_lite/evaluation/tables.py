"""Results as fixed-width text tables."""
from __future__ import annotations


def format_table(rows: dict, columns=("linear", "knn"), title: str = "") -> str:
    """A fixed-width text table of {row: {column: value}}: accuracy columns ("linear", "knn",
    "acc...") as percentages, other numbers as numbers (whole numbers from 1,000 up, e.g.
    seconds), NaN or a missing value as "-" (e.g. a baseline's training time)."""
    width = max(len(r) for r in rows) + 2
    lines = [title] if title else []
    lines.append("".ljust(width) + "".join(c.rjust(10) for c in columns))
    for name, values in rows.items():
        cells = []
        for c in columns:
            v = values.get(c, float("nan"))
            if not isinstance(v, (int, float)):
                cells.append(str(v).rjust(10))
            elif v != v:  # NaN: nothing to show
                cells.append("-".rjust(10))
            elif c in ("linear", "knn") or c.startswith("acc"):
                cells.append(f"{100 * v:9.1f}%")
            else:
                cells.append(f"{v:10.0f}" if abs(v) >= 1000 else f"{v:10.3g}")
        lines.append(name.ljust(width) + "".join(cells))
    return "\n".join(lines)
