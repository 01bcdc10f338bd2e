"""Charts for reports as PNG bytes (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

import io
from collections.abc import Sequence

STATUS_COLOURS = {
    "fulfilled": "#2e7d32",
    "partly": "#f9a825",
    "missed": "#c62828",
    "waived": "#9e9e9e",
    "open": "#90caf9",
}


def stacked_bars(
    rows: Sequence[str],
    series: Sequence[tuple[str, str, Sequence[int]]],
    title: str,
    xlabel: str,
) -> bytes:
    """Return a horizontal stacked bar chart as PNG bytes.

    Args:
        rows: one label per bar (e.g. partner names), top to bottom.
        series: (key, legend label, one value per row); the key picks the colour.
        title: the chart title.
        xlabel: the label of the value axis.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.ticker import MaxNLocator

    height = 1.2 + 0.55 * max(1, len(rows))
    fig, ax = plt.subplots(figsize=(7.0, height), dpi=150)
    try:
        positions = list(range(len(rows)))[::-1]
        left = [0] * len(rows)
        for key, label, values in series:
            ax.barh(
                positions,
                values,
                left=left,
                color=STATUS_COLOURS.get(key, "#607d8b"),
                label=label,
                height=0.6,
                edgecolor="white",
            )
            for pos, start, value in zip(positions, left, values, strict=True):
                if value:
                    ax.text(
                        start + value / 2,
                        pos,
                        str(value),
                        ha="center",
                        va="center",
                        fontsize=8,
                        color="white" if key != "open" else "black",
                    )
            left = [a + b for a, b in zip(left, values, strict=True)]
        ax.set_yticks(positions)
        ax.set_yticklabels(rows, fontsize=8)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel(xlabel, fontsize=8)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.spines[["top", "right"]].set_visible(False)
        ax.legend(
            fontsize=7,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.25 if len(rows) > 2 else -0.45),
            ncol=len(series),
            frameon=False,
        )
        fig.tight_layout()
        out = io.BytesIO()
        # No creation date or version in the PNG: the same data gives the same bytes.
        fig.savefig(out, format="png", metadata={"Software": None})
    finally:
        plt.close(fig)
    return out.getvalue()
