package jvisor.machine;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import jvisor.devices.virtio.VirtioDevice;
import jvisor.images.BuildGuest;

/** The image builder's machine: no terminal, the JIT on, one disk and one read-only share. */
public final class ImageBuildGuest implements BuildGuest {
    @Override
    public int run(Spec spec, OutputStream console, Duration quietLimit) throws IOException {
        List<DeviceSpec> specs = List.of(DeviceSpec.disk(spec.disk() + ",format=qcow2,cache=unsafe"),
                DeviceSpec.share(spec.share() + ",tag=" + spec.shareTag() + ",readonly=on"));
        Boot boot = new BootSpec(null, spec.kernel(), spec.initrd(), spec.cmdline(), "builtin").resolve(name -> null);
        long[] lastOutput = {System.nanoTime()};
        OutputStream watched = new FilterOutputStream(console) {
            @Override
            public void write(int b) throws IOException {
                lastOutput[0] = System.nanoTime();
                out.write(b);
            }
        };
        List<VirtioDevice> devices = Devices.open(specs);
        try (Machine machine = new Machine(new MachineConfig(spec.memoryBytes(), spec.cpus()), watched)) {
            for (int i = 0; i < specs.size(); i++) machine.attach(specs.get(i), devices.get(i));
            machine.setJit(Machine.JitMode.ON);
            machine.load(boot);
            Thread watchdog = Thread.ofVirtual().start(() -> {
                try {
                    while (true) {
                        Thread.sleep(1000);
                        if (System.nanoTime() - lastOutput[0] > quietLimit.toNanos()) {
                            machine.powerOff(SILENT);
                            return;
                        }
                    }
                } catch (InterruptedException e) {
                    // the guest finished
                }
            });
            try {
                return machine.run().status();
            } finally {
                watchdog.interrupt();
            }
        } finally {
            for (VirtioDevice d : devices) d.close();
        }
    }
}
