package jvisor.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code jvisor} command. */
@Command(name = "jvisor", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "A portable RISC-V hypervisor in pure Java.")
public final class Main implements Runnable {
    /** Exit status for bad command-line input, as with most Unix tools. */
    static final int USAGE = 2;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    /** The subcommands, in the order help lists them. */
    private static final List<Class<?>> SUBCOMMANDS = List.of(RunCommand.class, RestoreCommand.class,
            SnapshotCommand.class, ImagesCommand.class, ServeCommand.class, VmCommand.class, CommandLine.HelpCommand.class);

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line and returns the process exit status. */
    public static int execute(String... args) {
        CommandLine cli = new CommandLine(new Main());
        // picocli reflects over every option of every command it is given: the one named is enough
        // (it was a quarter of a second of every start, e.g. of 'jvisor restore')
        Class<?> named = args.length == 0 ? null : SUBCOMMANDS.stream()
                .filter(c -> c != CommandLine.HelpCommand.class && c.getAnnotation(Command.class).name().equals(args[0]))
                .findFirst().orElse(null);
        for (Class<?> c : named != null ? List.of(named) : SUBCOMMANDS) cli.addSubcommand(c);
        cli.setParameterExceptionHandler((ex, a) -> {
            ex.getCommandLine().getErr().println("jvisor: " + ex.getMessage()
                    + " (see '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help')");
            return USAGE;
        });
        cli.setExecutionExceptionHandler((ex, c, parsed) -> {
            if (ex instanceof Failure) {
                c.getErr().println("jvisor: " + ex.getMessage());
                return 1;
            }
            if (ex instanceof UsageError || ex instanceof IOException) {
                c.getErr().println("jvisor: " + ex.getMessage());
                return USAGE;
            }
            throw ex;
        });
        return cli.execute(args);
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** A problem with what the user asked for: reported as one line, exit status 2. */
    static final class UsageError extends RuntimeException {
        UsageError(String message) { super(message); }
    }

    /** A request the daemon refused or could not carry out (its message says why): exit status 1. */
    static final class Failure extends RuntimeException {
        Failure(String message) { super(message); }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties p = new Properties();
            try (InputStream in = Main.class.getResourceAsStream("/jvisor/version.properties")) {
                if (in != null) p.load(in);
            }
            return new String[] {"jvisor " + p.getProperty("version", "dev")
                    + " (Java " + Runtime.version() + ", " + System.getProperty("os.name") + " " + System.getProperty("os.arch") + ")"};
        }
    }
}
