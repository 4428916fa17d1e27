"""People in the news: names and aliases (NER), attributed quotes, and questions about a figure."""
