"""Training of the shipped English dependency model (``qnlp/parsing/models/en_qnlp_dep``)."""
