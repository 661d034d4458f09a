"""Split a list of results into pages and describe the page links."""


class Paginator:
    def __init__(self, items, per_page=20):
        if per_page < 1:
            raise ValueError("per_page must be at least 1")
        self.items = list(items)
        self.per_page = per_page

    def page_count(self):
        if not self.items:
            return 1
        return len(self.items) // self.per_page

    def page(self, number):
        if not 1 <= number <= self.page_count():
            raise IndexError(f"no page {number}")
        start = (number - 1) * self.per_page
        return self.items[start:start + self.per_page]

    def window(self, current, radius=2):
        """Page numbers to show as links around ``current``, always within range."""
        last = self.page_count()
        low = max(1, current - radius)
        high = min(last, current + radius)
        return list(range(low, high + 1))

    def summary(self, number):
        shown = self.page(number)
        if not shown:
            return "No results"
        first = (number - 1) * self.per_page + 1
        return f"{first}-{first + len(shown) - 1} of {len(self.items)}"
