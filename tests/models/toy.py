"""Toy sentences shared by the attention tests (not a test module)."""

#: Sentiment: separable by single words.
TOY_X = ["good great fun", "great good", "fun good movie", "good fun", "bad awful boring",
         "awful bad", "boring bad movie", "awful boring"]
TOY_Y = ["pos"] * 4 + ["neg"] * 4

#: Food vs IT sentences that the bundled parser parses (MC-like): for DisCoCat-based variants.
FOOD_IT_X = ["man cooks meal", "woman cooks tasty meal", "man prepares sauce", "woman prepares meal",
             "man runs program", "woman debugs program", "person runs software", "man debugs software"]
FOOD_IT_Y = ["food"] * 4 + ["it"] * 4


def on_backend(clf, backend, **params):
    """A copy of the fitted estimator ``clf`` that predicts on ``backend`` (``set_params``)."""
    import copy

    return copy.deepcopy(clf).set_params(backend=backend, **params)
