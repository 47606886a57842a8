"""What people ask: dashboard figures, clusters of unanswered questions, staged NLU examples."""
