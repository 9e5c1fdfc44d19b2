package jvisor.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The --cpu syntax that jvisor run and the daemon's VM definitions share. */
class CpuFeaturesTest {
    @Test
    void hypervisorOnOrOff() {
        assertTrue(CpuFeatures.parse("h=on").hypervisor());
        assertTrue(CpuFeatures.parse("h").hypervisor());
        assertEquals(new CpuFeatures(false), CpuFeatures.parse("h=off"));
        assertEquals(new CpuFeatures(false), CpuFeatures.parse(" h=false "));
        assertEquals(new CpuFeatures(false), CpuFeatures.parse("h=on,h=off"), "the last item wins");
        assertEquals(CpuFeatures.DEFAULT, CpuFeatures.parse(""));
        assertEquals("h=off", CpuFeatures.parse("h=false").toString());
        assertEquals("h=on", CpuFeatures.DEFAULT.toString());
    }

    @Test
    void anythingElseIsRefusedInTheOptionsTerms() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CpuFeatures.parse("h=on,v=on"));
        assertEquals("--cpu h=on,v=on: expected h=on or h=off", e.getMessage());
    }

    @Test
    void appliedToEveryHart() {
        try (Machine m = new Machine(new MachineConfig(16L << 20, 2), java.io.OutputStream.nullOutputStream())) {
            new CpuFeatures(false).applyTo(m);
            for (int i = 0; i < m.hartCount(); i++) assertFalse(m.hart(i).hypervisor());
            CpuFeatures.DEFAULT.applyTo(m);
            for (int i = 0; i < m.hartCount(); i++) assertTrue(m.hart(i).hypervisor());
        }
    }
}
