package jvisor.cli;

import jvisor.host.ByteSize;
import picocli.CommandLine;

/** Parses sizes like {@code 512M}, {@code 2G}, {@code 65536} for options (see {@link ByteSize}). */
final class Sizes implements CommandLine.ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
        try {
            return ByteSize.parse(value);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.TypeConversionException(e.getMessage());
        }
    }
}
