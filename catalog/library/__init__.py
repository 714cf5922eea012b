"""A listener's library (issue 12): the albums they liked, newest first."""
