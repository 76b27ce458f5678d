"""A character-level bigram language model as a one-layer neural net, in the style of the
popular "makemore" lecture: raw tensors, a seeded torch.Generator, one-hot inputs built by
indexing, softmax written out, a manual gradient step on W.data, and sampling with
torch.multinomial. Runs unchanged on PyTorch and scratchish.
"""

import torch

words = """emma olivia ava isabella sophia charlotte mia amelia harper evelyn abigail emily
elizabeth mila ella avery sofia camila aria scarlett victoria madison luna grace chloe penelope
layla riley zoey nora lily eleanor hannah lillian addison aubrey ellie stella natalie zoe leah
hazel violet aurora savannah audrey brooklyn bella claire skylar lucy paisley everly anna
caroline nova genesis emilia kennedy samantha maya willow kinsley naomi aaliyah elena sarah
ariana allison gabriella alice madelyn cora ruby eva serenity autumn adeline hailey gianna
valentina isla eliana quinn nevaeh ivy sadie piper lydia alexa josephine emery julia delilah
arianna vivian kaylee sophie brielle madeline""".split()

# the vocabulary: 26 letters and '.', which marks the start and the end of a word
chars = sorted(set("".join(words)))
stoi = {s: i + 1 for i, s in enumerate(chars)}
stoi["."] = 0
itos = {i: s for s, i in stoi.items()}
n_vocab = len(stoi)

# the training set of bigrams (x, y)
xs, ys = [], []
for w in words:
    chs = ["."] + list(w) + ["."]
    for ch1, ch2 in zip(chs, chs[1:]):
        xs.append(stoi[ch1])
        ys.append(stoi[ch2])
xs = torch.tensor(xs)
ys = torch.tensor(ys)
num = xs.nelement()
print("number of examples:", num)

# initialize the 'network'
g = torch.Generator().manual_seed(2147483647)
W = torch.randn((n_vocab, n_vocab), generator=g, requires_grad=True)

# gradient descent
xenc = torch.zeros((num, n_vocab))
xenc[torch.arange(num), xs] = 1.0  # one-hot encoding of the inputs
for k in range(100):
    # forward pass
    logits = xenc @ W  # predict log-counts
    counts = logits.exp()  # counts, equivalent to N
    probs = counts / counts.sum(1, keepdims=True)  # probabilities for next character
    loss = -probs[torch.arange(num), ys].log().mean() + 0.01 * (W**2).mean()
    if k % 20 == 0:
        print(k, loss.item())

    # backward pass
    W.grad = None  # set to zero the gradient
    loss.backward()

    # update
    W.data += -10 * W.grad

print(f"final loss {loss.item()}")

# finally, sample from the 'neural net' model
g = torch.Generator().manual_seed(2147483647)
for _ in range(5):
    out = []
    ix = 0
    while True:
        xenc_one = torch.zeros((1, n_vocab))
        xenc_one[0, ix] = 1.0
        logits = xenc_one @ W
        counts = logits.exp()
        p = counts / counts.sum(1, keepdims=True)
        ix = torch.multinomial(p, num_samples=1, replacement=True, generator=g).item()
        out.append(itos[ix])
        if ix == 0:
            break
    print("sample:", "".join(out))
