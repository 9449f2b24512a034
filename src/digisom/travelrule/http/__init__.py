"""The travel-rule exchange's routes: /v1/travel-rule/..."""
