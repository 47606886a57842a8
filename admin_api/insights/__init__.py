"""What people ask (administrators): dashboard, clusters of unanswered questions, staged examples."""
