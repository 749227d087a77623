# lumbo: run the chosen firmware (see lumbo_loader.py); written by `lumbo flash`.
import lumbo_loader

lumbo_loader.run_app()
