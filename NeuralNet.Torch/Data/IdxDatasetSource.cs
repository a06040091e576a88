using System.Security.Cryptography;

namespace NeuralNet.Torch.Data;

/// <summary>
/// A dataset published the way MNIST is (torchvision's <c>MNIST</c> family): four IDX files, gzip-compressed on one
/// or more mirrors with known md5s, and a name for each class. <see cref="Mnist"/> and <see cref="FashionMnist"/>
/// are the two built in; construct others (KMNIST, a private set) the same way.
/// </summary>
/// <remarks>
/// <para>Local files: <c>train-images-idx3-ubyte</c>, <c>train-labels-idx1-ubyte</c>, <c>t10k-images-idx3-ubyte</c>
/// and <c>t10k-labels-idx1-ubyte</c>, each raw or with <c>.gz</c>, in the folder itself or in torchvision's layout
/// <c>folder/{Name}/raw/</c>. Local files are read as they are; md5s are checked on download.</para>
/// <para>Downloads go to <c>folder/{file}.gz</c> through a temporary file in the same folder that is renamed only
/// after its length and md5 are right, so an interrupted or corrupt download never appears under the real name.</para>
/// </remarks>
public sealed class IdxDatasetSource
{
    /// <summary>Image height and width every source here yields (MNIST's 28x28).</summary>
    public const int ImageSize = 28;

    /// <summary>Describes a dataset.</summary>
    /// <param name="name">Its name (<c>FashionMNIST</c>); also torchvision's folder name.</param>
    /// <param name="mirrors">Base URLs, tried in order.</param>
    /// <param name="resources">The four <c>.gz</c> files with the standard names and their md5s.</param>
    /// <param name="classNames">The name of each class, by label.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty, <paramref name="classNames"/> is empty,
    /// a mirror is not an absolute URL, an md5 is not 32 hexadecimal digits, or the resources are not exactly the
    /// four standard <c>.gz</c> names.</exception>
    public IdxDatasetSource(string name, IEnumerable<Uri> mirrors, IEnumerable<DatasetResource> resources, IEnumerable<string> classNames)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(mirrors);
        ArgumentNullException.ThrowIfNull(resources);
        ArgumentNullException.ThrowIfNull(classNames);
        Name = name;
        Mirrors = mirrors.Select(m => WithTrailingSlash(m, nameof(mirrors))).ToArray();
        Resources = resources.ToArray();
        ClassNames = classNames.ToArray();
        if (ClassNames.Count == 0)
        {
            throw new ArgumentException("Expected at least one class name.", nameof(classNames));
        }
        var expected = new[] { DatasetSplit.Train, DatasetSplit.Test }
            .SelectMany(s => new[] { ImagesFileName(s), LabelsFileName(s) }).Select(f => f + ".gz").Order(StringComparer.Ordinal);
        if (!Resources.Select(r => r.FileName).Order(StringComparer.Ordinal).SequenceEqual(expected))
        {
            throw new ArgumentException($"Expected resources named {string.Join(", ", expected)}.", nameof(resources));
        }
        foreach (var resource in Resources)
        {
            if (resource.Md5.Length != 32 || !resource.Md5.All(char.IsAsciiHexDigit))
            {
                throw new ArgumentException($"The md5 of {resource.FileName} is not 32 hexadecimal digits: '{resource.Md5}'.", nameof(resources));
            }
        }
    }

    /// <summary>MNIST handwritten digits, classes <c>"0"</c> .. <c>"9"</c> (torchvision's mirrors and md5s).</summary>
    public static IdxDatasetSource Mnist { get; } = new(
        "MNIST",
        [new Uri("https://ossci-datasets.s3.amazonaws.com/mnist/"), new Uri("http://yann.lecun.com/exdb/mnist/")],
        [
            new("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
            new("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
            new("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
            new("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
        ],
        ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);

    /// <summary>Zalando's FashionMNIST, the PyTorch quickstart's data, with its ten clothing classes (torchvision's
    /// mirror and md5s).</summary>
    public static IdxDatasetSource FashionMnist { get; } = new(
        "FashionMNIST",
        [new Uri("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/")],
        [
            new("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
            new("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
            new("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
            new("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
        ],
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]);

    /// <summary>The dataset's name, also the folder torchvision keeps it in (<c>root/{Name}/raw</c>).</summary>
    public string Name { get; }

    /// <summary>Base URLs the files are downloaded from, tried in order (each ends with <c>/</c>).</summary>
    public IReadOnlyList<Uri> Mirrors { get; }

    /// <summary>The four published <c>.gz</c> files and their md5s.</summary>
    public IReadOnlyList<DatasetResource> Resources { get; }

    /// <summary>The name of each class, by label.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The standard images file name of a split, without <c>.gz</c>: <c>train-images-idx3-ubyte</c> or
    /// <c>t10k-images-idx3-ubyte</c>.</summary>
    /// <param name="split">The split.</param>
    /// <returns>The file name.</returns>
    public static string ImagesFileName(DatasetSplit split) => Prefix(split) + "-images-idx3-ubyte";

    /// <summary>The standard labels file name of a split, without <c>.gz</c>: <c>train-labels-idx1-ubyte</c> or
    /// <c>t10k-labels-idx1-ubyte</c>.</summary>
    /// <param name="split">The split.</param>
    /// <returns>The file name.</returns>
    public static string LabelsFileName(DatasetSplit split) => Prefix(split) + "-labels-idx1-ubyte";

    /// <summary>Finds a standard file in a folder: <c>name</c>, then <c>name.gz</c>, in the folder and then in
    /// <c>folder/{Name}/raw</c>.</summary>
    /// <param name="folder">The folder.</param>
    /// <param name="fileName">A standard name without <c>.gz</c> (see <see cref="ImagesFileName"/>).</param>
    /// <returns>The path found, or null.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public string? FindFile(string folder, string fileName)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(fileName);
        foreach (var dir in new[] { folder, Path.Combine(folder, Name, "raw") })
        {
            foreach (var candidate in new[] { fileName, fileName + ".gz" })
            {
                var path = Path.Combine(dir, candidate);
                if (File.Exists(path))
                {
                    return path;
                }
            }
        }
        return null;
    }

    /// <summary>Loads a split from a folder (see the remarks for the names and places looked at).</summary>
    /// <param name="folder">The folder holding the files.</param>
    /// <param name="split">Which split.</param>
    /// <returns>The dataset: images float32 <c>[N, 1, 28, 28]</c> in <c>[0, 1]</c>, labels int64 <c>[N]</c>, and
    /// <see cref="ClassNames"/>. The caller disposes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="folder"/> is null.</exception>
    /// <exception cref="FileNotFoundException">A file of the split is in none of the places looked at; the message
    /// lists them.</exception>
    /// <exception cref="IdxFormatException">A file is not valid IDX, the images are not 28x28, the counts differ,
    /// or a label is not a class; the message names the file.</exception>
    public ImageDataset Load(string folder, DatasetSplit split)
    {
        ArgumentNullException.ThrowIfNull(folder);
        var imagesPath = Require(folder, ImagesFileName(split));
        var labelsPath = Require(folder, LabelsFileName(split));
        var images = IdxReader.ReadImages(imagesPath);
        if (images.Rows != ImageSize || images.Columns != ImageSize)
        {
            throw new IdxFormatException(imagesPath,
                $"Invalid IDX file '{imagesPath}': {Name} images are {ImageSize}x{ImageSize}, but this file holds {images.Rows}x{images.Columns} images.");
        }
        var labels = IdxReader.ReadLabels(labelsPath);
        if (images.Count != labels.Length)
        {
            throw new IdxFormatException(labelsPath,
                $"Image/label counts differ: '{imagesPath}' holds {images.Count} images but '{labelsPath}' holds {labels.Length} labels.");
        }
        var badLabel = Array.FindIndex(labels, l => l >= ClassNames.Count);
        if (badLabel >= 0)
        {
            throw new IdxFormatException(labelsPath,
                $"Invalid IDX file '{labelsPath}': label {labels[badLabel]} at index {badLabel} is not a {Name} class (expected 0..{ClassNames.Count - 1}).");
        }
        return ImageDataset.FromIdx(images, labels, ClassNames);
    }

    /// <summary>Downloads the files that are not yet in <paramref name="folder"/> (torchvision's
    /// <c>download=True</c>), checking each one's length and md5.</summary>
    /// <param name="folder">The cache folder; created if needed. Files already there (raw or <c>.gz</c>, see
    /// <see cref="FindFile"/>) are not fetched again.</param>
    /// <param name="options">Mirrors, HTTP client, log and split; null for the defaults.</param>
    /// <param name="cancellationToken">Stops the download; the partial file is deleted.</param>
    /// <returns>The paths of the files downloaded (empty when all were present).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="folder"/> is null.</exception>
    /// <exception cref="DatasetDownloadException">A file could not be fetched intact from any mirror (HTTP error,
    /// connection lost, incomplete body, md5 mismatch); the message lists each URL tried and why it failed.
    /// Files fetched before it stay.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="IOException">The folder cannot be created or written.</exception>
    public async Task<IReadOnlyList<string>> DownloadAsync(
        string folder, DatasetDownloadOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(folder);
        options ??= DatasetDownloadOptions.Default;
        var mirrors = options.Mirrors?.Select(m => WithTrailingSlash(m, nameof(options))).ToArray() ?? Mirrors;
        var wanted = Resources.Where(r => options.Split is not { } split
            || r.FileName.StartsWith(Prefix(split) + "-", StringComparison.Ordinal));
        Directory.CreateDirectory(folder);
        var ownedClient = options.HttpClient is null ? new HttpClient() : null;
        var client = options.HttpClient ?? ownedClient!;
        try
        {
            var downloaded = new List<string>();
            foreach (var resource in wanted)
            {
                if (FindFile(folder, resource.FileName[..^3]) is not null)
                {
                    continue;
                }
                var target = Path.Combine(folder, resource.FileName);
                await DownloadOneAsync(client, mirrors, resource, target, options.Log, cancellationToken).ConfigureAwait(false);
                downloaded.Add(target);
            }
            return downloaded;
        }
        finally
        {
            ownedClient?.Dispose();
        }
    }

    /// <inheritdoc/>
    public override string ToString() => Name;

    private static async Task DownloadOneAsync(
        HttpClient client, IReadOnlyList<Uri> mirrors, DatasetResource resource, string target, TextWriter? log,
        CancellationToken cancellationToken)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(target))!;
        var failures = new List<string>();
        foreach (var mirror in mirrors)
        {
            var url = new Uri(mirror, resource.FileName);
            log?.WriteLine($"Downloading {url} to {target}");
            var temp = Path.Combine(folder, $".{resource.FileName}.{Guid.NewGuid():N}.part");
            string failure;
            try
            {
                failure = await FetchAsync(client, url, resource.Md5, temp, cancellationToken).ConfigureAwait(false);
                if (failure.Length == 0)
                {
                    File.Move(temp, target, overwrite: true);
                    return;
                }
            }
            catch (HttpRequestException e)
            {
                failure = e.Message;
            }
            catch (IOException e)
            {
                failure = $"the transfer broke off ({e.Message}); the partial file was deleted";
            }
            catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
            {
                failure = $"timed out ({e.Message}); the partial file was deleted";
            }
            finally
            {
                File.Delete(temp);
            }
            failures.Add($"{url}: {failure}");
            log?.WriteLine($"Failed to download (trying next): {url}: {failure}");
        }
        throw new DatasetDownloadException(resource.FileName, failures);
    }

    // Streams the body to `temp`, hashing as it goes. Returns "" when the file is complete and its md5 is right,
    // else what is wrong (the caller deletes `temp` either way).
    private static async Task<string> FetchAsync(HttpClient client, Uri url, string md5, string temp, CancellationToken cancellationToken)
    {
        using var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            return $"HTTP {(int)response.StatusCode} ({response.ReasonPhrase})";
        }
        var expectedLength = response.Content.Headers.ContentLength;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        long received = 0;
        var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (body.ConfigureAwait(false))
        {
            var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
            await using (file.ConfigureAwait(false))
            {
                var buffer = new byte[1 << 16];
                int read;
                while ((read = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    hash.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                    received += read;
                }
            }
        }
        if (expectedLength is { } length && received != length)
        {
            return $"incomplete: {received} of {length} bytes arrived; the partial file was deleted";
        }
        var actual = Convert.ToHexStringLower(hash.GetHashAndReset());
        if (!string.Equals(actual, md5, StringComparison.OrdinalIgnoreCase))
        {
            return $"md5 mismatch: expected {md5.ToLowerInvariant()}, got {actual} ({received} bytes); the file was deleted";
        }
        return "";
    }

    private string Require(string folder, string fileName) =>
        FindFile(folder, fileName) ?? throw new FileNotFoundException(
            $"{Name} file {fileName} not found: looked for {fileName} and {fileName}.gz in '{folder}' and " +
            $"'{Path.Combine(folder, Name, "raw")}'. Download it with DownloadAsync (or --download).",
            Path.Combine(folder, fileName));

    private static string Prefix(DatasetSplit split) => split switch
    {
        DatasetSplit.Train => "train",
        DatasetSplit.Test => "t10k",
        _ => throw new ArgumentOutOfRangeException(nameof(split), split, "Expected DatasetSplit.Train or DatasetSplit.Test."),
    };

    private static Uri WithTrailingSlash(Uri mirror, string parameter)
    {
        ArgumentNullException.ThrowIfNull(mirror, parameter);
        if (!mirror.IsAbsoluteUri)
        {
            throw new ArgumentException($"Expected an absolute mirror URL; found '{mirror}'.", parameter);
        }
        return mirror.AbsoluteUri.EndsWith('/') ? mirror : new Uri(mirror.AbsoluteUri + "/");
    }
}
