"""The clinical domain: questionnaires, answers, scores, triage and the recommender.

Pure rules: it reads its own packaged data (questionnaires, advice texts) and the
practitioner's own questionnaire files, and raises; it never prints.
"""
