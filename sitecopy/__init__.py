"""A local copy of AutoScout24 built from recorded pages and generated photos, served on
loopback: what the crawler's tests and the crawl benchmarks run real `scrapy crawl`s against.
It is not part of the product; it lives outside `tests/` so the benchmarks need nothing from there.
"""
