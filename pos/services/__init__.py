"""Orchestration: domain rules plus repositories, with no Textual in sight."""
