package jvisor.images;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BusyboxAppletsTest {
    @Test
    void readsTheAppletTable() {
        List<String> names = new ArrayList<>(List.of("[", "[["));
        for (char c = 'a'; c <= 'z'; c++) names.add(c + "cmd");
        names.add("zz");
        assertEquals(names, BusyboxApplets.of(TestDebs.busybox(names.toArray(String[]::new))));
    }

    @Test
    void noPlausibleTableGivesNoLinks() {
        assertEquals(List.of(), BusyboxApplets.of(TestDebs.busybox("[", "[[", "ash", "cat")));
        assertEquals(List.of(), BusyboxApplets.of(TestDebs.busybox("[", "[[", "zz", "aa", "bb", "cc", "dd", "ee", "ff", "gg",
                "hh", "ii", "jj", "kk", "ll", "mm", "nn", "oo", "pp", "qq", "rr", "ss")), "not sorted: not the table");
    }
}
