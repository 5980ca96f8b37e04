package io.pyfleet.cli;

import io.pyfleet.client.ClientOptions;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The options of every command that can work against a running node instead of starting its own, declared
 * once: a picocli {@code @Mixin}. Without {@code --connect} a command starts an embedded node as before.
 *
 * <p>The token is not an option: a command line shows in {@code ps} to every user of the machine. It comes
 * from {@code --token-file} or else the {@value ClientOptions#TOKEN_VARIABLE} environment variable.
 */
public final class ConnectOptions {
    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    @Option(names = "--connect", paramLabel = "HOST:PORT", split = ",",
            description = "Work against the node whose gateway listens at HOST:PORT (see 'pyfleet node') instead of "
                    + "starting one; repeat it or separate addresses with commas for fail-over, tried in order. "
                    + "The token comes from --token-file or the environment variable PYFLEET_TOKEN.")
    List<String> addresses = new ArrayList<>();

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "With --connect: read the gateway token from FILE (a node started without one writes it to "
                    + "~/.pyfleet/gateway-PORT.token and prints where in its line 'token: ...'); "
                    + "default: the environment variable PYFLEET_TOKEN.")
    Path tokenFile;

    @Option(names = "--tls-ca", paramLabel = "PEM",
            description = "With --connect: use TLS, trusting the certificates in PEM (the CA that signed the node's "
                    + "certificate, or that certificate).")
    Path tlsCa;

    /** Whether {@code --connect} was given. */
    public boolean connected() {
        return !addresses.isEmpty();
    }

    /** The gateway addresses, in the order given. */
    public List<String> addresses() {
        return List.copyOf(addresses);
    }

    /** The TLS trust PEM, or null for plain TCP. */
    public Path tlsCa() {
        return tlsCa;
    }

    /**
     * The client options these options make; everything is checked, nothing is connected.
     *
     * @param environment where {@value ClientOptions#TOKEN_VARIABLE} is looked up without {@code --token-file}
     * @throws ParameterException when {@code --connect} was not given, or an option is wrong, or there is no token
     */
    public ClientOptions clientOptions(Map<String, String> environment) {
        if (!connected()) {
            throw usage("--connect HOST:PORT is required");
        }
        ClientOptions.Builder builder = ClientOptions.builder();
        for (String address : addresses) { // a bad address first: it is wrong whatever the token
            try {
                ClientOptions.parseAddress(address);
            } catch (IllegalArgumentException e) {
                throw usage("--connect: " + e.getMessage());
            }
        }
        builder.addresses(addresses);
        builder.token(token(environment));
        try {
            if (tlsCa != null) {
                builder.trustPem(tlsCa);
            }
            return builder.clientName("pyfleet-cli " + command.qualifiedName()).build();
        } catch (UncheckedIOException e) {
            throw usage("--tls-ca: " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
    }

    /**
     * The gateway token: from {@code --token-file}, else from {@value ClientOptions#TOKEN_VARIABLE}.
     *
     * @throws ParameterException when neither gives one, or the file cannot be read
     */
    public String token(Map<String, String> environment) {
        if (tokenFile != null) {
            try {
                return ClientOptions.readTokenFile(tokenFile);
            } catch (UncheckedIOException e) {
                throw usage("--token-file: cannot read " + tokenFile);
            } catch (IllegalArgumentException e) {
                throw usage("--token-file: " + e.getMessage());
            }
        }
        String token = environment.get(ClientOptions.TOKEN_VARIABLE);
        if (token == null || token.isBlank()) {
            throw usage("--connect needs the node's token: set " + ClientOptions.TOKEN_VARIABLE + " or give "
                    + "--token-file FILE (a node started without one writes ~/.pyfleet/gateway-PORT.token; "
                    + "'pyfleet node' prints where in its line 'token: ...')");
        }
        return token.trim();
    }

    private ParameterException usage(String message) {
        return new ParameterException(command.commandLine(), message);
    }
}
