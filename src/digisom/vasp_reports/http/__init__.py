"""The volume reports' routes: /v1/vasps/{vasp_id}/reports and /v1/vasp-reports/{period}/..."""
