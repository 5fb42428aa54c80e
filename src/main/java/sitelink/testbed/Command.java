package sitelink.testbed;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/** Runs one command (iproute2, sysctl, a tool) to completion with a timeout and returns what it did. */
public final class Command {
    /** Pipe readers block until the command exits: virtual threads, so they never starve each other. */
    private static final Executor READERS = Executors.newVirtualThreadPerTaskExecutor();

    /** What a command did: its exit code and its output. */
    public record Result(List<String> command, int exitCode, String stdout, String stderr) {
        public boolean ok() {
            return exitCode == 0;
        }

        public String describe() {
            return String.join(" ", command) + " -> exit " + exitCode + "\nstdout: " + stdout + "\nstderr: " + stderr;
        }
    }

    /** A command that could not run, failed where it had to succeed, or outlived its timeout; the message says which. */
    public static final class Failed extends RuntimeException {
        public Failed(String message) {
            super(message);
        }
    }

    private Command() {
    }

    /**
     * Runs {@code command} in {@code directory} (null: ours) with stdin from /dev/null and waits at most
     * {@code timeout}; past it the command and its children are killed and {@link Failed} is thrown.
     */
    public static Result run(Duration timeout, Path directory, List<String> command) {
        Process p;
        try {
            p = new ProcessBuilder(command).directory(directory == null ? null : directory.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        } catch (IOException e) {
            throw new Failed("cannot run " + command.getFirst() + " (" + e.getMessage() + "); "
                    + (command.getFirst().equals("ip") ? "install iproute2" : "is it installed?"));
        }
        CompletableFuture<String> out = readAsync(p.getInputStream());
        CompletableFuture<String> err = readAsync(p.getErrorStream());
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
                throw new Failed("timed out after " + timeout.toSeconds() + " s: " + String.join(" ", command)
                        + "\nstdout: " + out.getNow("") + "\nstderr: " + err.getNow(""));
            }
            return new Result(List.copyOf(command), p.exitValue(), out.join(), err.join());
        } catch (InterruptedException e) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new Failed("interrupted while running " + String.join(" ", command));
        }
    }

    /** {@link #run} that must exit 0; returns its stdout. */
    public static String runOk(Duration timeout, List<String> command) {
        Result r = run(timeout, null, command);
        if (!r.ok()) {
            throw new Failed(String.join(" ", command) + " failed: " + (r.stderr() + r.stdout()).strip());
        }
        return r.stdout();
    }

    private static CompletableFuture<String> readAsync(InputStream in) {
        return CompletableFuture.supplyAsync(() -> {
            try (in) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "(" + e + ")";
            }
        }, READERS);
    }
}
