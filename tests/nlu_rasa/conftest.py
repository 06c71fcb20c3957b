"""The Rasa fixtures (rasa_model, rasa_server, rasa_url) live in tests/conftest.py, shared with tests/e2e."""
