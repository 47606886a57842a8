"""All admin API routers under ``/api/admin``."""

from fastapi import APIRouter

from admin_api.content.router import router as content_router

router = APIRouter(prefix="/api/admin")
router.include_router(content_router)
