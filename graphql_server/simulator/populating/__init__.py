"""What fills and moves a simulated cluster: realistic population, seeding and churn.

Owns building objects that look like a real cluster's (``population``), seeding a
cluster with a given number of them (``seeding``) and the background churn of
changes (``churn``). It drives the model through its public methods and must
not import the HTTP layer.
"""
