"""The questions report: what people ask most, what stays unanswered, by language, topic and district."""
