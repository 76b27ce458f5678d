"""The data-augmentation step of a popular beginners' PyTorch course ("custom datasets":
pizza, steak and sushi photos), in its pattern: an ImageFolder per split, training images
resized to 64x64 and augmented with TrivialAugmentWide before ToTensor, test images only
resized, DataLoaders with one worker per core, a TinyVGG (two blocks of two 3x3
convolutions and a max-pool, then a linear layer), Adam, and train/test loops that report
loss and accuracy each epoch. Runs unchanged on PyTorch (with torchvision) and under
`scratchish run`.

Arguments: the data folder (with train/ and test/, a sub-folder per class) and the number of
epochs (default 5).
"""

import os
import sys
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

data_path = Path(sys.argv[1] if len(sys.argv) > 1 else "data/pizza_steak_sushi")
epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
torch.manual_seed(42)

train_transform_trivial_augment = transforms.Compose(
    [
        transforms.Resize((64, 64)),
        transforms.TrivialAugmentWide(num_magnitude_bins=31),
        transforms.ToTensor(),
    ]
)
test_transform = transforms.Compose([transforms.Resize((64, 64)), transforms.ToTensor()])

train_data_augmented = datasets.ImageFolder(
    data_path / "train", transform=train_transform_trivial_augment
)
test_data_simple = datasets.ImageFolder(data_path / "test", transform=test_transform)
class_names = train_data_augmented.classes
print(f"classes {class_names}, {len(train_data_augmented)} train, {len(test_data_simple)} test")

BATCH_SIZE = 32
NUM_WORKERS = os.cpu_count()
train_dataloader_augmented = DataLoader(
    train_data_augmented, batch_size=BATCH_SIZE, shuffle=True, num_workers=NUM_WORKERS
)
test_dataloader_simple = DataLoader(
    test_data_simple, batch_size=BATCH_SIZE, shuffle=False, num_workers=NUM_WORKERS
)
img, label = next(iter(train_dataloader_augmented))
print(f"augmented batch {tuple(img.shape)} {img.dtype}, range {img.min():.2f}..{img.max():.2f}")


class TinyVGG(nn.Module):
    def __init__(self, input_shape: int, hidden_units: int, output_shape: int) -> None:
        super().__init__()
        self.conv_block_1 = nn.Sequential(
            nn.Conv2d(input_shape, hidden_units, kernel_size=3, stride=1, padding=0),
            nn.ReLU(),
            nn.Conv2d(hidden_units, hidden_units, kernel_size=3, stride=1, padding=0),
            nn.ReLU(),
            nn.MaxPool2d(kernel_size=2, stride=2),
        )
        self.conv_block_2 = nn.Sequential(
            nn.Conv2d(hidden_units, hidden_units, kernel_size=3, padding=0),
            nn.ReLU(),
            nn.Conv2d(hidden_units, hidden_units, kernel_size=3, padding=0),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(in_features=hidden_units * 13 * 13, out_features=output_shape),
        )

    def forward(self, x: torch.Tensor):
        return self.classifier(self.conv_block_2(self.conv_block_1(x)))


device = "cuda" if torch.cuda.is_available() else "cpu"
model = TinyVGG(input_shape=3, hidden_units=10, output_shape=len(class_names)).to(device)
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(params=model.parameters(), lr=0.001)


def train_step(model, dataloader, loss_fn, optimizer):
    model.train()
    train_loss, train_acc = 0, 0
    for X, y in dataloader:
        X, y = X.to(device), y.to(device)
        y_pred = model(X)
        loss = loss_fn(y_pred, y)
        train_loss += loss.item()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        y_pred_class = torch.argmax(torch.softmax(y_pred, dim=1), dim=1)
        train_acc += (y_pred_class == y).sum().item() / len(y_pred)
    return train_loss / len(dataloader), train_acc / len(dataloader)


def test_step(model, dataloader, loss_fn):
    model.eval()
    test_loss, test_acc = 0, 0
    with torch.inference_mode():
        for X, y in dataloader:
            X, y = X.to(device), y.to(device)
            test_pred_logits = model(X)
            test_loss += loss_fn(test_pred_logits, y).item()
            test_pred_labels = test_pred_logits.argmax(dim=1)
            test_acc += (test_pred_labels == y).sum().item() / len(test_pred_labels)
    return test_loss / len(dataloader), test_acc / len(dataloader)


results = {"train_loss": [], "train_acc": [], "test_loss": [], "test_acc": []}
for epoch in range(epochs):
    train_loss, train_acc = train_step(model, train_dataloader_augmented, loss_fn, optimizer)
    test_loss, test_acc = test_step(model, test_dataloader_simple, loss_fn)
    print(
        f"Epoch: {epoch + 1} | train_loss: {train_loss:.4f} | train_acc: {train_acc:.4f} | "
        f"test_loss: {test_loss:.4f} | test_acc: {test_acc:.4f}"
    )
    for key, value in zip(results, (train_loss, train_acc, test_loss, test_acc)):
        results[key].append(value)
