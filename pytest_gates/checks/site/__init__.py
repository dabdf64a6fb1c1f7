"""Helpers of the content-site kinds (``symbols``, ``links``, ``site_conformity``, ``research``,
``http``, ``benchmark``): module resolution, HTML pages, and the auto-fix switch."""
