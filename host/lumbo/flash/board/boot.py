# lumbo: choose the firmware folder (see lumbo_loader.py); written by `lumbo flash`.
import lumbo_loader

lumbo_loader.boot()
