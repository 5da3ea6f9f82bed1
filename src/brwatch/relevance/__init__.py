"""Belt-and-Road topic relevance from the multilingual vocabulary in rules/topics.yaml."""

from brwatch.relevance.scoring import TopicScore, example_problems, score_text, score_topic
from brwatch.relevance.vocabulary import (
    DEFAULT_TOPICS_FILE,
    TopicsError,
    Vocabulary,
    load_vocabulary,
)

__all__ = [
    "DEFAULT_TOPICS_FILE",
    "TopicScore",
    "TopicsError",
    "Vocabulary",
    "example_problems",
    "load_vocabulary",
    "score_text",
    "score_topic",
]
