package jvisor.net;

import java.util.ArrayList;
import java.util.List;

/**
 * What {@code --net user[,hostfwd=tcp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT]...} asks for:
 * user-mode networking and its host forwards.
 */
public record NetSpec(List<HostForward> forwards) {
    /** Parses the option value; throws IllegalArgumentException with a message for the user. */
    public static NetSpec parse(String value) {
        String[] parts = value.split(",");
        if (!parts[0].equals("user")) throw new IllegalArgumentException("--net: only 'user' networking is supported: " + value);
        List<HostForward> forwards = new ArrayList<>();
        for (int i = 1; i < parts.length; i++) {
            String[] kv = parts[i].split("=", 2);
            if (!kv[0].equals("hostfwd") || kv.length != 2) {
                throw new IllegalArgumentException("unknown --net option '" + parts[i] + "' (hostfwd=tcp:[HOSTADDR]:HOSTPORT-:GUESTPORT)");
            }
            forwards.add(HostForward.parse(kv[1]));
        }
        return new NetSpec(forwards);
    }
}
