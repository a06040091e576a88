using System.Security.Cryptography;
using NeuralNet.Torch.Data;
using NeuralNet.Torch.Tests.TestSupport;

namespace NeuralNet.Torch.Tests.Data;

public sealed class IdxDatasetSourceTests
{
    private static readonly string[] FileNames =
        ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"];

    private TempFolder _temp = null!;
    private string _folder = null!;
    private Dictionary<string, byte[]> _files = null!;

    [SetUp]
    public void CreateFiles()
    {
        _temp = new TempFolder();
        _folder = _temp.Path;
        var train = SyntheticImages.Create(40, seed: 1);
        var test = SyntheticImages.Create(20, seed: 2);
        _files = new Dictionary<string, byte[]>
        {
            [FileNames[0]] = IdxFiles.Gzip(train.ImagesFile),
            [FileNames[1]] = IdxFiles.Gzip(train.LabelsFile),
            [FileNames[2]] = IdxFiles.Gzip(test.ImagesFile),
            [FileNames[3]] = IdxFiles.Gzip(test.LabelsFile),
        };
    }

    [TearDown]
    public void DeleteFolder() => _temp.Dispose();

    [Test]
    public void BuiltInSources_HaveTorchvisionsNamesClassesAndMirrors()
    {
        IdxDatasetSource.FashionMnist.Name.Should().Be("FashionMNIST");
        IdxDatasetSource.FashionMnist.ClassNames.Should().Equal(
            "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");
        IdxDatasetSource.FashionMnist.Mirrors.Select(m => m.AbsoluteUri).Should().Equal("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/");
        IdxDatasetSource.FashionMnist.Resources.Single(r => r.FileName == "t10k-labels-idx1-ubyte.gz").Md5.Should().Be("bb300cfdad3c16e7a12a480ee83cd310");
        IdxDatasetSource.Mnist.Name.Should().Be("MNIST");
        IdxDatasetSource.Mnist.ClassNames.Should().Equal("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");
        IdxDatasetSource.Mnist.Mirrors.Select(m => m.AbsoluteUri).Should().Equal(
            "https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/");
    }

    [Test]
    public async Task DownloadAsync_ServedIntact_WritesEachFileUnderItsNameAndLoads()
    {
        using var server = new LoopbackHttpServer(path => LoopbackHttpServer.Ok(_files[Path.GetFileName(path)]));
        var source = Source(server.BaseUri);
        var log = new StringWriter();

        var downloaded = await source.DownloadAsync(_folder, new DatasetDownloadOptions { Log = log });

        downloaded.Should().Equal(FileNames.Select(f => Path.Combine(_folder, f)));
        foreach (var name in FileNames)
        {
            File.ReadAllBytes(Path.Combine(_folder, name)).Should().Equal(_files[name]);
        }
        Directory.GetFiles(_folder).Should().HaveCount(4, "no temporary file is left behind");
        log.ToString().Should().Contain($"Downloading {server.BaseUri}t10k-images-idx3-ubyte.gz to {Path.Combine(_folder, "t10k-images-idx3-ubyte.gz")}");
        using var test = source.Load(_folder, DatasetSplit.Test);
        test.Count.Should().Be(20);
    }

    [Test]
    public async Task DownloadAsync_FilesAlreadyThere_RequestsNothing()
    {
        using var server = new LoopbackHttpServer(path => LoopbackHttpServer.Ok(_files[Path.GetFileName(path)]));
        var source = Source(server.BaseUri);
        await source.DownloadAsync(_folder);
        File.Move(Path.Combine(_folder, FileNames[0]), Path.Combine(_folder, "train-images-idx3-ubyte")); // a raw copy counts too
        var requests = server.Requests.Count;

        var downloaded = await source.DownloadAsync(_folder);

        downloaded.Should().BeEmpty();
        server.Requests.Should().HaveCount(requests);
    }

    [Test]
    public async Task DownloadAsync_OneSplit_FetchesOnlyItsTwoFiles()
    {
        using var server = new LoopbackHttpServer(path => LoopbackHttpServer.Ok(_files[Path.GetFileName(path)]));

        var downloaded = await Source(server.BaseUri).DownloadAsync(_folder, new DatasetDownloadOptions { Split = DatasetSplit.Test });

        downloaded.Select(Path.GetFileName).Should().Equal("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz");
        server.Requests.Should().Equal("/t10k-images-idx3-ubyte.gz", "/t10k-labels-idx1-ubyte.gz");
    }

    [Test]
    public async Task DownloadAsync_FirstMirror404_FallsBackToTheNextAndLogsWhy()
    {
        using var server = new LoopbackHttpServer(path => path.StartsWith("/good/", StringComparison.Ordinal)
            ? LoopbackHttpServer.Ok(_files[Path.GetFileName(path)])
            : LoopbackHttpServer.NotFound());
        var log = new StringWriter();
        var options = new DatasetDownloadOptions
        {
            Mirrors = [new Uri(server.BaseUri, "missing/"), new Uri(server.BaseUri, "good")],
            Log = log,
            Split = DatasetSplit.Test,
        };

        await Source(new Uri("http://192.0.2.1/never-used/")).DownloadAsync(_folder, options);

        File.ReadAllBytes(Path.Combine(_folder, FileNames[2])).Should().Equal(_files[FileNames[2]]);
        server.Requests.Should().Equal(
            "/missing/t10k-images-idx3-ubyte.gz", "/good/t10k-images-idx3-ubyte.gz",
            "/missing/t10k-labels-idx1-ubyte.gz", "/good/t10k-labels-idx1-ubyte.gz");
        log.ToString().Should().Contain($"Failed to download (trying next): {server.BaseUri}missing/t10k-images-idx3-ubyte.gz: HTTP 404 (Not Found)");
    }

    [Test]
    public async Task DownloadAsync_WrongMd5_DeletesTheFileAndReportsBothSums()
    {
        var wrong = IdxFiles.Gzip(SyntheticImages.Create(40, seed: 99).ImagesFile);
        using var server = new LoopbackHttpServer(path => LoopbackHttpServer.Ok(
            Path.GetFileName(path) == FileNames[0] ? wrong : _files[Path.GetFileName(path)]));

        var act = () => Source(server.BaseUri).DownloadAsync(_folder);

        var error = (await act.Should().ThrowAsync<DatasetDownloadException>()).Which;
        error.FileName.Should().Be(FileNames[0]);
        error.Message.Should().Be(
            $"Could not download {FileNames[0]}: {server.BaseUri}{FileNames[0]}: md5 mismatch: expected {Md5(_files[FileNames[0]])}, " +
            $"got {Md5(wrong)} ({wrong.Length} bytes); the file was deleted");
        Directory.GetFiles(_folder).Should().BeEmpty("a corrupt download is never kept, not even as a temporary file");
    }

    [Test]
    public async Task DownloadAsync_ConnectionDroppedMidBody_DeletesThePartialFileAndReportsIt()
    {
        var body = _files[FileNames[0]];
        using var server = new LoopbackHttpServer(_ => LoopbackHttpServer.Truncated(body, body.Length / 2));

        var act = () => Source(server.BaseUri).DownloadAsync(_folder);

        var error = (await act.Should().ThrowAsync<DatasetDownloadException>()).Which;
        error.Failures.Should().ContainSingle().Which.Should().MatchRegex(
            $@"^{Regex(server.BaseUri + FileNames[0])}: (the transfer broke off \(.+\)|incomplete: \d+ of {body.Length} bytes arrived); the partial file was deleted$");
        Directory.GetFiles(_folder).Should().BeEmpty();
    }

    [Test]
    public async Task DownloadAsync_EveryMirror404_ThrowsListingEachUrl()
    {
        using var server = new LoopbackHttpServer(_ => LoopbackHttpServer.NotFound());
        var options = new DatasetDownloadOptions { Mirrors = [new Uri(server.BaseUri, "a/"), new Uri(server.BaseUri, "b/")] };

        var act = () => IdxDatasetSource.FashionMnist.DownloadAsync(_folder, options);

        (await act.Should().ThrowAsync<DatasetDownloadException>()).Which.Message.Should().Be(
            $"Could not download train-images-idx3-ubyte.gz: {server.BaseUri}a/train-images-idx3-ubyte.gz: HTTP 404 (Not Found); " +
            $"{server.BaseUri}b/train-images-idx3-ubyte.gz: HTTP 404 (Not Found)");
        Directory.GetFiles(_folder).Should().BeEmpty();
    }

    [Test]
    public async Task DownloadAsync_Cancelled_ThrowsAndLeavesNothing()
    {
        using var server = new LoopbackHttpServer(path => LoopbackHttpServer.Ok(_files[Path.GetFileName(path)]));
        using var cancellation = new CancellationTokenSource();
        await cancellation.CancelAsync();

        var act = () => Source(server.BaseUri).DownloadAsync(_folder, cancellationToken: cancellation.Token);

        await act.Should().ThrowAsync<OperationCanceledException>();
        Directory.GetFiles(_folder).Should().BeEmpty();
    }

    [Test]
    [Category("SharedFixtures")]
    public async Task DownloadAsync_RealMnistTestFiles_MatchTheBuiltInMd5s()
    {
        var images = TestPaths.RequireSharedFixture("mnist/t10k-images-idx3-ubyte.gz");
        var labels = TestPaths.RequireSharedFixture("mnist/t10k-labels-idx1-ubyte.gz");
        using var server = new LoopbackHttpServer(path => LoopbackHttpServer.Ok(File.ReadAllBytes(
            Path.GetFileName(path) == "t10k-images-idx3-ubyte.gz" ? images : labels)));

        await IdxDatasetSource.Mnist.DownloadAsync(_folder, new DatasetDownloadOptions { Mirrors = [server.BaseUri], Split = DatasetSplit.Test });
        using var test = IdxDatasetSource.Mnist.Load(_folder, DatasetSplit.Test);

        test.Count.Should().Be(10_000);
        test.Images.shape.Should().Equal(10_000, 1, 28, 28);
        Enumerable.Range(0, 5).Select(i => test.GetLabel(i)).Should().Equal(7, 2, 1, 0, 4);
    }

    [Test]
    [Category("SharedFixtures")]
    public void Load_RealMnistTestSplit_Is10000ScaledImagesStarting72104()
    {
        var folder = Path.GetDirectoryName(TestPaths.RequireSharedFixture("mnist/t10k-images-idx3-ubyte.gz"))!;
        TestPaths.RequireSharedFixture("mnist/t10k-labels-idx1-ubyte.gz");

        using var test = IdxDatasetSource.Mnist.Load(folder, DatasetSplit.Test);

        test.Count.Should().Be(10_000);
        test.Images.shape.Should().Equal(10_000, 1, 28, 28);
        Enumerable.Range(0, 5).Select(i => test.GetLabel(i)).Should().Equal(7, 2, 1, 0, 4);
        using var min = test.Images.min();
        using var max = test.Images.max();
        min.item<float>().Should().Be(0f);
        max.item<float>().Should().Be(1f, "255 / 255");
    }

    [Test]
    public void Load_RawFilesInTorchvisionsLayout_AreFound()
    {
        var raw = Path.Combine(_folder, "Synthetic", "raw");
        IdxFiles.WriteDataset(raw, SyntheticImages.Create(12, seed: 3), SyntheticImages.Create(6, seed: 4), gzip: false);

        using var train = Source(new Uri("http://127.0.0.1/")).Load(_folder, DatasetSplit.Train);

        train.Count.Should().Be(12);
        train.ClassNames.Should().HaveCount(10);
    }

    [Test]
    public void Load_MissingFile_ThrowsSayingWhereItLooked()
    {
        var act = () => IdxDatasetSource.FashionMnist.Load(_folder, DatasetSplit.Test);

        act.Should().Throw<FileNotFoundException>().WithMessage(
            $"FashionMNIST file t10k-images-idx3-ubyte not found: looked for t10k-images-idx3-ubyte and t10k-images-idx3-ubyte.gz in '{_folder}' and " +
            $"'{Path.Combine(_folder, "FashionMNIST", "raw")}'. Download it with DownloadAsync (or --download).");
    }

    [Test]
    public void Load_ImagesNot28x28_ThrowsNamingTheFile()
    {
        var images = Path.Combine(_folder, "t10k-images-idx3-ubyte");
        File.WriteAllBytes(images, IdxFiles.Images(2, 32, 32, new byte[2 * 32 * 32]));
        File.WriteAllBytes(Path.Combine(_folder, "t10k-labels-idx1-ubyte"), IdxFiles.Labels([1, 2]));

        var act = () => IdxDatasetSource.Mnist.Load(_folder, DatasetSplit.Test);

        act.Should().Throw<IdxFormatException>()
            .WithMessage($"Invalid IDX file '{images}': MNIST images are 28x28, but this file holds 32x32 images.");
    }

    [Test]
    public void Load_CountsDiffer_ThrowsNamingBothFiles()
    {
        IdxFiles.WriteDataset(_folder, SyntheticImages.Create(10, seed: 1), SyntheticImages.Create(5, seed: 2));
        var labels = Path.Combine(_folder, "t10k-labels-idx1-ubyte.gz");
        File.WriteAllBytes(labels, IdxFiles.Gzip(IdxFiles.Labels([1, 2, 3, 4])));

        var act = () => IdxDatasetSource.FashionMnist.Load(_folder, DatasetSplit.Test);

        act.Should().Throw<IdxFormatException>().WithMessage(
            $"Image/label counts differ: '{Path.Combine(_folder, "t10k-images-idx3-ubyte.gz")}' holds 5 images but '{labels}' holds 4 labels.");
    }

    [Test]
    public void Constructor_BadMd5OrMissingResource_Throws()
    {
        var resources = FileNames.Select(f => new DatasetResource(f, "0123456789abcdef0123456789abcdef")).ToArray();

        FluentActions.Invoking(() => new IdxDatasetSource("X", [], resources[..3], ["a"])).Should().Throw<ArgumentException>()
            .WithMessage("Expected resources named t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz, train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz.*");
        FluentActions.Invoking(() => new IdxDatasetSource("X", [], [.. resources[..3], new(FileNames[3], "xyz")], ["a"]))
            .Should().Throw<ArgumentException>().WithMessage("The md5 of t10k-labels-idx1-ubyte.gz is not 32 hexadecimal digits: 'xyz'.*");
    }

    private IdxDatasetSource Source(Uri mirror) => new(
        "Synthetic", [mirror], FileNames.Select(f => new DatasetResource(f, Md5(_files[f]))),
        ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);

    private static string Md5(byte[] bytes) => Convert.ToHexStringLower(MD5.HashData(bytes));

    private static string Regex(string text) => System.Text.RegularExpressions.Regex.Escape(text);
}
