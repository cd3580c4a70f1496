"""Scrapy commands of the project (Scrapy's own, refined)."""
