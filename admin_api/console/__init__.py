"""The administrators' content console: server-rendered pages over the content API."""
