using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Lepton.Cli;

/// <summary>
/// SIGINT (Ctrl-C) and SIGTERM for a long-running command: the first one cancels <see cref="Token"/>
/// (the command stops what it started and returns <see cref="ExitCode"/>, 130 or 143); if the command
/// has not ended <see cref="Deadline"/> later, the process stops itself, running <c>onDeadline</c> first.
/// A second signal does the same at once.
/// </summary>
public sealed class ShutdownSignals : IDisposable
{
    private readonly CancellationTokenSource _cancel = new();
    private readonly PosixSignalRegistration[] _registrations;
    private readonly Action _onDeadline;
    private Timer? _deadline;
    private int _received;

    public ShutdownSignals(Action onDeadline)
    {
        _onDeadline = onDeadline;
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle),
        ];
    }

    public static TimeSpan Deadline { get; } = TimeSpan.FromSeconds(8);

    public CancellationToken Token => _cancel.Token;

    /// <summary>The signal that arrived first, or null.</summary>
    public PosixSignal? Signal { get; private set; }

    /// <summary>128 + the signal's number, as shells report a process ended by it.</summary>
    public int ExitCode => Signal == PosixSignal.SIGTERM ? 143 : 130;

    private void Handle(PosixSignalContext context)
    {
        context.Cancel = true; // this command decides how to end, not the runtime's default
        if (Interlocked.Increment(ref _received) > 1)
        {
            Stop();
            return;
        }

        Signal = context.Signal;
        _deadline = new Timer(_ => Stop(), null, Deadline, Timeout.InfiniteTimeSpan);
        _cancel.Cancel();
    }

    private void Stop()
    {
        try
        {
            _onDeadline();
        }
        finally
        {
            Console.Error.WriteLine("lepton: did not stop in time; exiting");
            Console.Error.Flush();
            Process.GetCurrentProcess().Kill();
        }
    }

    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }

        _deadline?.Dispose();
        _cancel.Dispose();
    }
}
