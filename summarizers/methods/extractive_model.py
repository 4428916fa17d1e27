"""Weights of the extractive ranker (see summarizers/methods/extractive.py). Generated: do not edit by hand.

Written by `benchmarks/train_extractive.py --write`: a pairwise logistic regression over FEATURES
and a grid-searched Prior, fitted on the shared dev sets (numbers only; no text is stored).
Cross-validated ROUGE F1 (%) at the time of writing:

cnndm_dev.jsonl [5-fold CV]: 75 articles, summary length = 3 sentences
method            ROUGE-1  ROUGE-2  ROUGE-L  ms median   ms mean
extractive (cv)     41.48    19.62    26.45       2.13      3.52
lead                41.10    18.29    26.37       0.35      0.79
lexrank             35.28    14.54    22.86      20.46     22.40
textrank            32.97    14.06    21.38      17.86     18.90

bbc_politics_dev.jsonl [5-fold CV]: 208 articles, summary length = reference length (sentences)
method            ROUGE-1  ROUGE-2  ROUGE-L  ms median   ms mean
extractive (cv)     81.18    74.07    48.05       1.68      3.49
lead                63.99    49.44    37.62       0.27      0.58
lexrank             68.84    56.36    40.92      13.26     17.08
textrank            79.61    72.17    47.22      12.35     14.57

"""

FEATURES = ('paragraph_start', 'log_words', 'short', 'long', 'centroid', 'lexrank', 'overlap_degree', 'title', 'first_similarity', 'quote', 'quote_start', 'digit', 'question', 'content_share', 'shared_words', 'no_terminal', 'first_person', 'dangling_opener', 'capitalised')
MEAN = (0.186212, 2.99327, 0.0588691, 0.0404338, 0.266262, 1, 0.538399, 0.129047, 0.0949296, 0.271263, 0.144694, 0.200465, 0.0100697, 0.509034, 0.469961, 0.0359411, 0.167002, 0.216886, 0.124266,)
SCALE = (0.389278, 0.513769, 0.23538, 0.196974, 0.100952, 0.457008, 0.246363, 0.183411, 0.207235, 0.444611, 0.351792, 0.400348, 0.0998414, 0.123157, 0.231093, 0.186143, 0.372978, 0.412124, 0.13197,)
WEIGHTS = (0.0811981, -0.392631, 0.145281, -0.109161, -0.688163, 0.132755, 1.7135, 0.195764, 0.0241478, 0.248242, -0.379388, 0.223094, -0.199926, -0.332917, 0.420531, -0.0727988, -0.0792758, 0.0293318, -0.0263123,)
PRIOR = {'budget_small': 0.12, 'budget_large': 0.4166666666666667, 'content_small': 3.0, 'content_large': 1000.0, 'length': -0.5, 'redundancy_small': 0.3, 'redundancy_large': 0.6}
# Dataset files the weights were fitted on: ROUGE measured on these is in-sample.
TRAINED_ON = ('cnndm_dev.jsonl', 'bbc_politics_dev.jsonl')
