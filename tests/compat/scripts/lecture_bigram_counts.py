"""A character-level bigram language model by counting, in the style of the popular "makemore"
lecture (part 1): a 27 x 27 table of counts N, smoothed probabilities P = (N + 1) normalised
by row with keepdims=True, samples drawn with torch.multinomial and a seeded torch.Generator,
and the negative log likelihood of the training set. Then the same model learned by gradient
descent on one-hot inputs. Runs unchanged on PyTorch and scratchish.
"""

import torch
import torch.nn.functional as F

words = """emma olivia ava isabella sophia charlotte mia amelia harper evelyn abigail emily
elizabeth mila ella avery sofia camila aria scarlett victoria madison luna grace chloe penelope
layla riley zoey nora lily eleanor hannah lillian addison aubrey ellie stella natalie zoe leah
hazel violet aurora savannah audrey brooklyn bella claire skylar lucy paisley everly anna
caroline nova genesis emilia kennedy samantha maya willow kinsley naomi aaliyah elena sarah
ariana allison gabriella alice madelyn cora ruby eva serenity autumn adeline hailey gianna
valentina isla eliana quinn nevaeh ivy sadie piper lydia alexa josephine emery julia delilah
arianna vivian kaylee sophie brielle madeline noah liam oliver elijah james william benjamin
lucas henry theodore jack levi alexander jackson mateo daniel michael mason sebastian ethan
logan owen samuel jacob asher aiden john joseph wyatt david leo luke julian hudson grayson
matthew ezra gabriel carter isaac jayden luca anthony dylan lincoln thomas maverick elias
josiah charles caleb christopher ezekiel miles jaxon isaiah andrew joshua nathan nolan adrian
cameron santiago eli aaron ryan angel cooper waylon easton kai christian landon colton roman
axel brooks jonathan robert jameson ian everett greyson wesley jeremiah hunter leonardo jordan
jose bennett silas nicholas parker beau weston austin connor carson dominic xavier""".split()
print("words:", len(words), "shortest:", min(len(w) for w in words))

# the vocabulary: 26 letters and '.', which marks the start and the end of a word
chars = sorted(set("".join(words)))
stoi = {s: i + 1 for i, s in enumerate(chars)}
stoi["."] = 0
itos = {i: s for s, i in stoi.items()}
n_vocab = len(stoi)

# count every bigram
N = torch.zeros((n_vocab, n_vocab), dtype=torch.int32)
for w in words:
    chs = ["."] + list(w) + ["."]
    for ch1, ch2 in zip(chs, chs[1:]):
        N[stoi[ch1], stoi[ch2]] += 1
print("most common after '.':", itos[N[0].argmax().item()], N[0].max().item())

# the model: each row of counts turned into probabilities (add-one smoothing)
P = (N + 1).float()
P /= P.sum(1, keepdims=True)
assert P.dtype == torch.float32 and torch.allclose(P.sum(1), torch.ones(n_vocab))

# sample words from the model
g = torch.Generator().manual_seed(2147483647)
for _ in range(5):
    out = []
    ix = 0
    while True:
        p = P[ix]
        ix = torch.multinomial(p, num_samples=1, replacement=True, generator=g).item()
        out.append(itos[ix])
        if ix == 0:
            break
    print("sample:", "".join(out))

# the quality of the model: the average negative log likelihood of the training set
log_likelihood = 0.0
n = 0
for w in words:
    chs = ["."] + list(w) + ["."]
    for ch1, ch2 in zip(chs, chs[1:]):
        prob = P[stoi[ch1], stoi[ch2]]
        log_likelihood += torch.log(prob)
        n += 1
nll = -log_likelihood
print(f"counting model nll {nll.item() / n:.4f}")

# the same model as a one-layer neural net, trained by gradient descent
xs, ys = [], []
for w in words:
    chs = ["."] + list(w) + ["."]
    for ch1, ch2 in zip(chs, chs[1:]):
        xs.append(stoi[ch1])
        ys.append(stoi[ch2])
xs, ys = torch.tensor(xs), torch.tensor(ys)
num = xs.nelement()
g = torch.Generator().manual_seed(2147483647)
W = torch.randn((n_vocab, n_vocab), generator=g, requires_grad=True)
xenc = F.one_hot(xs, num_classes=n_vocab).float()  # (num, 27) inputs, one 1 per row
for k in range(50):
    logits = xenc @ W  # log-counts
    counts = logits.exp()
    probs = counts / counts.sum(1, keepdims=True)
    loss = -probs[torch.arange(num), ys].log().mean() + 0.01 * (W**2).mean()
    W.grad = None
    loss.backward()
    W.data += -50 * W.grad
    if k % 10 == 0:
        print(f"step {k} loss {loss.item():.4f}")

print(f"final loss {loss.item():.6f}")
