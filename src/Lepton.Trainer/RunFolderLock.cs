using System.Globalization;

namespace Lepton.Trainer;

/// <summary>
/// One live trainer per output folder: <c>trainer.lock</c> held open exclusively (an OS lock, released
/// when the process ends however it ends, so the lock of a dead trainer is simply taken over), with the
/// holder's pid in <c>trainer.pid</c> for the message.
/// </summary>
public sealed class RunFolderLock : IDisposable
{
    public const string LockFile = "trainer.lock";
    public const string PidFile = "trainer.pid";

    private readonly FileStream _lock;

    private RunFolderLock(FileStream held) => _lock = held;

    /// <summary>Takes the folder's lock, or throws <see cref="RunFolderLockedException"/> when a live trainer holds it.</summary>
    public static RunFolderLock Acquire(string folder)
    {
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, LockFile);
        FileStream held;
        try
        {
            held = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            string holder = File.Exists(Path.Combine(folder, PidFile)) ? File.ReadAllText(Path.Combine(folder, PidFile)).Trim() : "unknown";
            throw new RunFolderLockedException($"another trainer (pid {holder}) is running in {folder}; refusing to start a second one");
        }

        File.WriteAllText(Path.Combine(folder, PidFile), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        return new RunFolderLock(held);
    }

    public void Dispose() => _lock.Dispose();
}

/// <summary>The output folder belongs to a live trainer (exit code 5).</summary>
public sealed class RunFolderLockedException(string message) : Exception(message);
