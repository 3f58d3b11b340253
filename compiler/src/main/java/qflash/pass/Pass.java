package qflash.pass;

import qflash.ir.Kernel;

/**
 * One rewrite of the tile IR. A pass keeps no state between runs, matches fully before it rewrites,
 * and returns its input unchanged (the same object) when nothing applied — the pass manager prints
 * "(unchanged)" for it. Its class javadoc states summary, description and options.
 */
public interface Pass {
    /** The name pipelines and {@code --emit ir-after-all} use, e.g. {@code fold-constants}. */
    String name();

    Kernel run(Kernel k);
}
