"""Bar charts drawn on the server as accessible inline SVG (no JavaScript, no library).

Each chart is one series of horizontal bars: the category name above its bar and the value
written after it, so nothing is told by colour alone. The SVG has ``role="img"`` and is
named by its ``<title>`` and ``<desc>``; the template puts the same figures in a table.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

WIDTH = 640
ROW_HEIGHT = 44
LABEL_OFFSET = 15  # baseline of the category label within its row
BAR_OFFSET = 21  # top of the bar within its row
BAR_HEIGHT = 16
VALUE_GAP = 6
VALUE_ROOM = 72  # space kept right of the longest bar for its value
PADDING = 8


@dataclass
class Bar:
    label: str
    value: int | float
    display: str
    top: float
    label_y: float
    bar_y: float
    width: float
    value_x: float
    value_y: float
    key: str = ""


@dataclass
class BarChart:
    """``rows``: (label, value) or (label, value, key) in the order to draw them."""

    slug: str
    title: str
    rows: list[tuple]
    unit: str = ""
    value_header: str = ""
    category_header: str = ""
    description: str = ""
    bars: list[Bar] = field(init=False)
    height: int = field(init=False)

    def __post_init__(self):
        largest = max((row[1] for row in self.rows), default=0)
        room = WIDTH - 2 * PADDING - VALUE_ROOM
        self.bars = []
        for index, row in enumerate(self.rows):
            label, value = row[0], row[1]
            key = row[2] if len(row) > 2 else ""
            top = PADDING + index * ROW_HEIGHT
            width = room * value / largest if largest else 0
            if value and width < 2:
                width = 2  # a non-zero value stays visible
            self.bars.append(
                Bar(
                    label=str(label),
                    value=value,
                    display=format_number(value),
                    top=top,
                    label_y=top + LABEL_OFFSET,
                    bar_y=top + BAR_OFFSET,
                    width=round(width, 1),
                    value_x=round(PADDING + width + VALUE_GAP, 1),
                    value_y=top + BAR_OFFSET + BAR_HEIGHT - 3,
                    key=str(key),
                )
            )
        self.height = 2 * PADDING + max(len(self.rows), 1) * ROW_HEIGHT
        if not self.description:
            self.description = describe(self)

    @property
    def width(self) -> int:
        return WIDTH

    @property
    def padding(self) -> int:
        return PADDING

    @property
    def bar_height(self) -> int:
        return BAR_HEIGHT

    @property
    def total(self) -> int | float:
        return sum(row[1] for row in self.rows)

    @property
    def is_empty(self) -> bool:
        return not any(row[1] for row in self.rows)


def format_number(value) -> str:
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.1f}"
    return str(int(value))


def describe(chart: BarChart) -> str:
    """A sentence a screen reader user gets instead of the picture."""
    if chart.is_empty:
        return _("Bar chart with no data yet.")
    top = max(chart.bars, key=lambda bar: bar.value)
    return _(
        "Bar chart with %(count)s bars. The largest is %(label)s with %(value)s. "
        "The table below gives every figure."
    ) % {"count": len(chart.bars), "label": top.label, "value": top.display}
