package jvisor.host;

import java.util.Map;

/**
 * A control message of a live migration, a WebSocket text message in JSON (docs/HOST.md, "Live
 * migration"). Source to destination: {@code define} (the VM's definition, whether it is paused,
 * where the destination finds its files); destination to source: {@code accepted} (the port of
 * the data connection and its one-time key: {@link MigrationData}), then {@code running} (with
 * how long the guest stood still, by the wall clocks) once it has read the whole stream and
 * resumed the guest, or {@code error} with a message.
 */
record MigrationMessage(String type, VmDefinition definition, Boolean paused, Map<String, String> paths, String message,
                        Double downtimeMs, Integer port, String key) {
    static final String DEFINE = "define", ACCEPTED = "accepted", RUNNING = "running", ERROR = "error";

    static MigrationMessage define(VmDefinition d, boolean paused, Map<String, String> paths) {
        return new MigrationMessage(DEFINE, d, paused, paths, null, null, null, null);
    }

    static MigrationMessage accepted(int port, String key) {
        return new MigrationMessage(ACCEPTED, null, null, null, null, null, port, key);
    }

    static MigrationMessage running(double downtimeMs) {
        return new MigrationMessage(RUNNING, null, null, null, null, downtimeMs, null, null);
    }

    static MigrationMessage error(String message) { return error(ERROR, message); }

    /** A message of {@code type} that carries only a message. */
    static MigrationMessage error(String type, String message) {
        return new MigrationMessage(type, null, null, null, message, null, null, null);
    }

    String json() {
        try {
            return Json.MAPPER.writeValueAsString(this);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static MigrationMessage parse(String json) {
        try {
            MigrationMessage m = Json.MAPPER.readValue(json, MigrationMessage.class);
            if (m.type() == null) throw new IllegalArgumentException("a migration message without a type");
            return m;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("a migration message that is not JSON: " + e.getOriginalMessage());
        }
    }
}
